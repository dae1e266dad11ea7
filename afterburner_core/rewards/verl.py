"""The execution reward as a verl custom reward function (verl itself is not imported).

verl loads a reward function from a file by path and name (``custom_reward_function.path`` /
``.name``) and passes ``custom_reward_function.reward_kwargs`` as extra keyword arguments. Point
``path`` at this module's file (``python -c "import afterburner_core.rewards.verl as m; print(m.__file__)"``)
and choose one of:

- ``compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs)``: one
  sample, the signature of verl's per-sample reward managers (``naive``, and the reward loop that
  verl 0.9 uses for every run, which calls it concurrently from worker threads). Concurrent
  calls share baseline runs (`SharedBaselines`), so the 32 rollouts of one prompt measure their
  baseline once, next to one of them.
- ``compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs)``:
  lists in, list out, the signature of verl's ``batch`` reward manager
  (``reward_model.reward_manager=batch``, as the paper's verl run used; verl 0.9 still ships the
  class but its reward loop no longer offers it): one concurrent sandbox batch per call, every
  distinct baseline run once in it.

Both return, per sample, a dict with ``score`` (what verl optimises) and the same numeric fields for
every sample (`ExecutionReward.log_row`): ``acc`` (1.0 when the tests pass: verl's validation
reports it as the core metric), ``verdict_code`` (`VERDICT_CODES`, -1: no code), ``parsable`` and
the reward's components (``pass``, ``gain``, ``efficiency``, ``format``, ... or ``percentile``).
verl collects these per key across the batch, which is why every sample has all of them.

What the reward needs comes from ``reward_model.ground_truth`` (a `RewardLabel`: a JSON string or
object with problem_id, language, objective, baseline, dataset), completed by the same keys in
``extra_info``; ``afterburner data grpo --format verl`` writes both.

``reward_kwargs`` are the options of `afterburner_core.rewards.runtime` (all optional, validated):
``reward``, ``reward_options``, ``dataset``, ``objective``, ``backend`` / ``backend_options`` or
``server_url`` / ``token``, ``timeout_s``, ``memory_mb``, ``repeat``, ``human_repeat``,
``baseline_ttl_s``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.rewards.labels import LABEL_FIELDS, RewardLabel, label_fields, parse_label
from afterburner_core.rewards.runtime import RewardRuntime, plain, runtime

# Keyword arguments verl's managers add on their own (the reward loop, when a reward model
# router is configured); they mean nothing to an execution reward.
VERL_PASSTHROUGH = frozenset({"reward_router_address", "reward_model_tokenizer"})


def _runtime(reward_kwargs: Mapping[str, Any]) -> RewardRuntime:
    options = {key: value for key, value in reward_kwargs.items() if key not in VERL_PASSTHROUGH}
    return runtime(options, "afterburner verl reward_kwargs")


def label_from_verl(ground_truth: Any, extra_info: Any, where: str = "sample") -> RewardLabel:
    """The label of one verl sample: ``ground_truth`` (JSON string or object), its missing keys taken
    from ``extra_info``; anything else in ``extra_info`` (index, split, verl's own additions) is ignored."""
    fields: dict[str, Any] = {}
    if isinstance(extra_info, Mapping):
        fields.update({k: plain(extra_info[k]) for k in LABEL_FIELDS if extra_info.get(k) is not None})
    if ground_truth is not None and not (isinstance(ground_truth, str) and not ground_truth.strip()):
        given = label_fields(plain(ground_truth), f"{where}: reward_model.ground_truth")
        fields.update({k: plain(v) for k, v in given.items() if v is not None})
    if not fields:
        raise AfterburnerError(
            f"{where}: no label: reward_model.ground_truth and extra_info carry none of "
            f"{', '.join(LABEL_FIELDS)} (write the data with `afterburner data grpo --format verl`)"
        )
    return parse_label(fields, f"{where}: label")


def compute_score(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **reward_kwargs: Any
) -> dict[str, float]:
    """verl's per-sample reward function: one completion scored by running it (see the module docstring)."""
    del data_source  # every row of an Afterburner dataset is scored the same way
    task = label_from_verl(ground_truth, extra_info).task(solution_str)
    reward = _runtime(reward_kwargs)
    return reward.engine.log_row(reward.score_shared([task])[0])


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **reward_kwargs: Any,
) -> list[dict[str, float]]:
    """verl's batch reward function: every completion of the batch in one concurrent sandbox batch."""
    n = len(solution_strs)
    extras = list(extra_infos) if extra_infos is not None else [None] * n
    if len(ground_truths) != n or len(extras) != n or len(data_sources) != n:
        raise AfterburnerError(
            f"verl batch of {n} solution_strs came with {len(ground_truths)} ground_truths, "
            f"{len(extras)} extra_infos and {len(data_sources)} data_sources"
        )
    tasks = [
        label_from_verl(truth, extra, f"sample {i}").task(text)
        for i, (text, truth, extra) in enumerate(zip(solution_strs, ground_truths, extras, strict=True))
    ]
    reward = _runtime(reward_kwargs)
    return [reward.engine.log_row(scored) for scored in reward.score_batch(tasks)]
