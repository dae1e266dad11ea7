"""`train(kind, config_path)`: TRL's SFTTrainer, DPOTrainer and GRPOTrainer on Afterburner data.

The YAML config is validated by the trainer's own config class (`SFTTrainConfig`, `DPOTrainConfig`,
`GRPOTrainConfig`, each a `TrainConfig` plus its trainer's fields; a field of another trainer is
refused by name). Data is chat-format (prompt = messages from
`build_messages`, completions as one assistant message), read from `data` (rows written by
`afterburner data sft|dpo`) or, when `data` is empty, built now from `dataset` on this host's
measurements. GRPO's reward is `trl_reward(reward.name, ...)`: the execution reward, each batch run
concurrently through the sandbox; its components (pass rate, percentile, efficiency, ...) are logged
as ``afterburner/<component>`` and appended to ``OUTPUT_DIR/reward_components.jsonl``.

Device: CUDA when available (bf16 when the GPU supports it, unless `bf16: false`), else CPU
(`device: cpu` forces the CPU). LoRA via peft when `lora:` is given.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from afterburner_core.datasets import get_problem, load_problems
from afterburner_core.errors import AfterburnerError
from afterburner_core.objectives import OBJECTIVES
from afterburner_core.plugins import get_registry
from afterburner_core.prompts import build_messages
from afterburner_core.rewards.trl import trl_reward
from afterburner_core.training.data import build_dpo, build_sft, read_rows


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | str = "all-linear"


class RewardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "afterburner"
    repeat: int = Field(1, ge=1)  # runs per completion
    human_repeat: int = Field(3, ge=1)  # runs per human solution, when they must be measured
    options: dict[str, Any] = Field(default_factory=dict)  # the reward plugin's own options


class TrainConfig(BaseModel):
    """What every training run has (YAML). Paths are relative to the config file's directory; each
    trainer's config adds its own fields, as TRL has one config class per trainer."""

    model_config = ConfigDict(extra="forbid")

    model: str  # a local model directory or a hub id
    output_dir: str
    dataset: str = "venus-mini"  # the problems (GRPO prompts, data building)
    objective: str = "time"
    languages: list[str] = Field(default_factory=lambda: ["python"])
    problems: list[str] | None = None  # problem ids or titles; default: all
    max_steps: int = Field(100, ge=1)
    learning_rate: float = Field(1e-5, gt=0)
    per_device_train_batch_size: int = Field(1, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    lora: LoraSettings | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    bf16: bool | None = None  # None: on CUDA with bf16 support
    seed: int = 0
    logging_steps: int = Field(1, ge=1)
    save: bool = True  # save the final model (adapter with LoRA) and tokenizer to output_dir
    trl: dict[str, Any] = Field(default_factory=dict)  # any other field of the trainer's TRL config

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: str) -> str:
        if value not in OBJECTIVES:
            raise ValueError(f"must be one of {', '.join(OBJECTIVES)}")
        return value


class SFTTrainConfig(TrainConfig):
    """`afterburner train sft`: TRL's SFTTrainer on prompt/response rows."""

    data: str | None = None  # rows from `afterburner data sft` (.jsonl/.json/.parquet or the --out DIR)
    top_k: int = Field(1, ge=1)  # rows per (problem, language) when data is built now
    max_length: int = Field(2048, ge=16)  # prompt + response tokens


class DPOTrainConfig(TrainConfig):
    """`afterburner train dpo`: TRL's DPOTrainer on preference pairs."""

    data: str | None = None  # rows from `afterburner data dpo`
    min_gain: float = Field(0.05, ge=0.0, lt=1.0)  # the pairs' margin when data is built now
    max_length: int = Field(2048, ge=16)  # prompt + response tokens
    beta: float | None = None  # KL coefficient (TRL's default when empty)


class GRPOTrainConfig(TrainConfig):
    """`afterburner train grpo`: TRL's GRPOTrainer with the execution reward."""

    num_generations: int = Field(4, ge=2)  # group size
    max_completion_length: int = Field(512, ge=1)
    temperature: float = Field(1.0, gt=0)
    beta: float | None = None  # KL coefficient (TRL's default when empty)
    reward: RewardSettings = Field(default_factory=RewardSettings)


CONFIGS: dict[str, type[TrainConfig]] = {"sft": SFTTrainConfig, "dpo": DPOTrainConfig, "grpo": GRPOTrainConfig}
KINDS = tuple(CONFIGS)


def _kind(kind: str) -> type[TrainConfig]:
    if kind not in CONFIGS:
        raise AfterburnerError(f"unknown training kind {kind!r} (one of: {', '.join(KINDS)})")
    return CONFIGS[kind]


def load_config(path: str | Path, kind: str) -> TrainConfig:
    """The `kind` trainer's config from a YAML file; a setting of another trainer is refused by name."""
    cls = _kind(kind)
    path = Path(path)
    if not path.exists():
        raise AfterburnerError(f"no such config: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise AfterburnerError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise AfterburnerError(f"{path} must hold a mapping of settings")
    for key in raw:
        owners = [name for name, other in CONFIGS.items() if key in other.model_fields]
        if key not in cls.model_fields and owners:
            raise AfterburnerError(f"{path}: {key!r} is a setting of {' and '.join(owners)} training, not of {kind}")
    config = cls.model_validate(raw)
    base = path.resolve().parent

    def resolve(value: str | None) -> str | None:
        if value is None or value.startswith("hf:"):
            return value
        candidate = Path(value).expanduser()
        local = candidate if candidate.is_absolute() else base / candidate
        return str(local) if local.exists() or value.startswith((".", "/", "~")) else value

    config.model = resolve(config.model) or config.model
    if isinstance(config, SFTTrainConfig | DPOTrainConfig):
        config.data = resolve(config.data)
    config.output_dir = str(
        Path(config.output_dir).expanduser() if Path(config.output_dir).is_absolute() else base / config.output_dir
    )
    if config.dataset not in ("venus-mini",):
        config.dataset = resolve(config.dataset) or config.dataset
    return config


# -- data ---------------------------------------------------------------------------------------------


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def sft_records(config: SFTTrainConfig) -> list[dict[str, Any]]:
    rows = (
        read_rows(config.data, "sft")
        if config.data
        else build_sft(config.dataset, config.objective, config.languages, config.top_k, config.problems)
    )
    return [{"prompt": row["prompt"], "completion": _assistant(row["response"])} for row in rows]


def dpo_records(config: DPOTrainConfig) -> list[dict[str, Any]]:
    rows = (
        read_rows(config.data, "dpo")
        if config.data
        else build_dpo(config.dataset, config.objective, config.languages, config.problems, config.min_gain)
    )
    return [
        {"prompt": row["prompt"], "chosen": _assistant(row["chosen"]), "rejected": _assistant(row["rejected"])}
        for row in rows
    ]


def grpo_records(config: GRPOTrainConfig) -> list[dict[str, Any]]:
    """One prompt per (problem, language) with a solution in that language, plus the reward's columns."""
    registry = get_registry()
    languages = [registry.resolve_language(name).key for name in config.languages]
    problems = (
        [get_problem(str(p), config.dataset) for p in config.problems]
        if config.problems
        else list(load_problems(config.dataset))
    )
    records = []
    for problem in problems:
        have = {registry.canonical_language(name) for name in problem.solutions}
        for language in languages:
            if problem.solutions and language not in have:
                continue
            records.append(
                {
                    "prompt": build_messages(problem, language, config.objective),
                    "problem_id": str(problem.problem_id),
                    "language": language,
                    "objective": config.objective,
                }
            )
    return records


# -- trainer pieces -------------------------------------------------------------------------------------


def _device(config: TrainConfig) -> tuple[bool, bool]:
    """(use_cpu, bf16)."""
    import torch

    cuda = torch.cuda.is_available()
    if config.device == "cuda" and not cuda:
        raise AfterburnerError("device: cuda, but torch sees no CUDA device")
    use_cpu = config.device == "cpu" or not cuda
    bf16 = (not use_cpu and torch.cuda.is_bf16_supported()) if config.bf16 is None else config.bf16
    if bf16 and use_cpu and config.bf16 is None:
        bf16 = False
    return use_cpu, bf16


def _common_args(config: TrainConfig, use_cpu: bool, bf16: bool) -> dict[str, Any]:
    return {
        "output_dir": config.output_dir,
        "max_steps": config.max_steps,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "logging_steps": config.logging_steps,
        "save_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
        "use_cpu": use_cpu,
        "bf16": bf16,
        "dataloader_num_workers": 0,
    }


def _peft_config(config: TrainConfig) -> Any:
    if config.lora is None:
        return None
    try:
        from peft import LoraConfig
    except ImportError:
        raise AfterburnerError("lora: needs peft (pip install peft)") from None
    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=config.lora.target_modules,
        task_type="CAUSAL_LM",
    )


def _load(config: TrainConfig, bf16: bool) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model)
        model = AutoModelForCausalLM.from_pretrained(config.model, dtype=torch.bfloat16 if bf16 else torch.float32)
    except (OSError, ValueError) as error:
        raise AfterburnerError(f"cannot load model {config.model!r}: {str(error).splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(tokenizer, "chat_template", None) is None:
        raise AfterburnerError(f"the tokenizer of {config.model!r} has no chat template (the data is chat-format)")
    return model, tokenizer


def _dataset(records: list[dict[str, Any]], what: str) -> Any:
    from datasets import Dataset

    if not records:
        raise AfterburnerError(f"no {what} rows to train on")
    return Dataset.from_list(records)


def _trl_config(cls: Any, values: dict[str, Any], extra: dict[str, Any]) -> Any:
    import dataclasses

    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(extra) - known)
    if unknown:
        raise AfterburnerError(f"trl: unknown {cls.__name__} field(s): {', '.join(unknown)}")
    return cls(**{k: v for k, v in values.items() if k in known}, **extra)


class RewardComponentsLog:
    """Collects the reward's components per call: logged by the callback and written as JSONL."""

    def __init__(self, reward_fn: Any, path: Path) -> None:
        self.reward_fn = reward_fn
        self.path = path
        self.pending: list[dict[str, float]] = []
        self.history: list[dict[str, Any]] = []

    def wrap(self) -> Any:
        inner = self.reward_fn

        def fn(*args: Any, **kwargs: Any) -> list[float]:
            rewards = inner(*args, **kwargs)
            components = list(getattr(inner, "last_components", []) or [])
            self.pending.extend(components)
            state = kwargs.get("trainer_state")
            summary = {
                "step": getattr(state, "global_step", None),
                "time": time.time(),
                "n": len(rewards),
                "reward_mean": _mean([r for r in rewards if r is not None]),
                **summarise(components),
            }
            self.history.append(summary)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(summary) + "\n")
            return rewards

        fn.__name__ = fn.__qualname__ = getattr(inner, "__name__", "afterburner_reward")
        return fn

    def take(self) -> dict[str, float]:
        out = summarise(self.pending)
        self.pending = []
        return out


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return sum(values) / len(values) if values else None


def summarise(components: list[dict[str, float]]) -> dict[str, float]:
    """Mean of every numeric component, plus pass_rate (mean of `passed`) and mean_percentile."""
    keys = sorted({k for c in components for k, v in c.items() if isinstance(v, (int, float))})
    out = {}
    for key in keys:
        value = _mean([float(c[key]) for c in components if isinstance(c.get(key), (int, float))])
        if value is not None:
            out[f"afterburner/{key}"] = value
    if "afterburner/passed" in out:
        out["afterburner/pass_rate"] = out["afterburner/passed"]
    if "afterburner/percentile" in out:
        out["afterburner/mean_percentile"] = out["afterburner/percentile"]
    return out


def _components_callback(log: RewardComponentsLog) -> Any:
    from transformers import TrainerCallback

    class RewardComponentsCallback(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
            extra = log.take()
            if extra and logs is not None and "loss" in logs:
                logs.update(extra)
                if state.log_history:
                    state.log_history[-1].update(extra)

    return RewardComponentsCallback()


# -- the entry point ------------------------------------------------------------------------------------


def _sft_trainer(
    trl: Any, config: SFTTrainConfig, common: dict[str, Any], model: Any, tokenizer: Any, peft_config: Any
) -> tuple[Any, RewardComponentsLog | None]:
    args = _trl_config(trl.SFTConfig, {**common, "max_length": config.max_length}, config.trl)
    return trl.SFTTrainer(
        model=model,
        args=args,
        train_dataset=_dataset(sft_records(config), "SFT"),
        processing_class=tokenizer,
        peft_config=peft_config,
    ), None


def _dpo_trainer(
    trl: Any, config: DPOTrainConfig, common: dict[str, Any], model: Any, tokenizer: Any, peft_config: Any
) -> tuple[Any, RewardComponentsLog | None]:
    values = {**common, "max_length": config.max_length}
    if config.beta is not None:
        values["beta"] = config.beta
    args = _trl_config(trl.DPOConfig, values, config.trl)
    return trl.DPOTrainer(
        model=model,
        args=args,
        train_dataset=_dataset(dpo_records(config), "DPO"),
        processing_class=tokenizer,
        peft_config=peft_config,
    ), None


def _grpo_trainer(
    trl: Any, config: GRPOTrainConfig, common: dict[str, Any], model: Any, tokenizer: Any, peft_config: Any
) -> tuple[Any, RewardComponentsLog | None]:
    values = {
        **common,
        "num_generations": config.num_generations,
        "max_completion_length": config.max_completion_length,
        "temperature": config.temperature,
        "log_completions": False,
    }
    if config.beta is not None:
        values["beta"] = config.beta
    args = _trl_config(trl.GRPOConfig, values, config.trl)
    reward_fn = trl_reward(
        config.reward.name,
        dataset=config.dataset,
        objective=config.objective,
        repeat=config.reward.repeat,
        human_repeat=config.reward.human_repeat,
        **config.reward.options,
    )
    components = RewardComponentsLog(reward_fn, Path(config.output_dir) / "reward_components.jsonl")
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[components.wrap()],
        args=args,
        train_dataset=_dataset(grpo_records(config), "GRPO"),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[_components_callback(components)],
    )
    return trainer, components


TRAINERS: dict[str, Any] = {"sft": _sft_trainer, "dpo": _dpo_trainer, "grpo": _grpo_trainer}


def train(kind: str, config_path: str | Path | TrainConfig) -> dict[str, Any]:
    """Train with TRL (`kind`: sft, dpo or grpo) as the YAML config says; returns a summary."""
    cls = _kind(kind)
    config = config_path if isinstance(config_path, TrainConfig) else load_config(config_path, kind)
    if not isinstance(config, cls):
        raise AfterburnerError(f"{kind} training takes a {cls.__name__}, not a {type(config).__name__}")
    try:
        import trl
    except ImportError:
        raise AfterburnerError(
            "training needs trl, transformers and torch (pip install 'afterburner[train]')"
        ) from None
    use_cpu, bf16 = _device(config)
    model, tokenizer = _load(config, bf16)
    started = time.time()
    trainer, components = TRAINERS[kind](
        trl, config, _common_args(config, use_cpu, bf16), model, tokenizer, _peft_config(config)
    )
    result = trainer.train()
    if config.save:
        trainer.save_model(config.output_dir)
        tokenizer.save_pretrained(config.output_dir)
    summary = {
        "kind": kind,
        "model": config.model,
        "output_dir": config.output_dir,
        "steps": result.global_step,
        "train_loss": result.training_loss,
        "seconds": round(time.time() - started, 1),
        "device": "cpu" if use_cpu else "cuda",
        "bf16": bf16,
        "lora": config.lora is not None,
        "rows": len(trainer.train_dataset),
        "log_history": trainer.state.log_history,
    }
    if components is not None:
        summary["reward_components"] = components.history
    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    (Path(config.output_dir) / "train_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary
