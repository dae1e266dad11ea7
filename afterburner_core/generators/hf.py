"""The ``transformers`` generator: a causal LM from a local directory or the hub.

Uses the tokenizer's chat template when it has one (else a plain "System:/User:/Assistant:"
rendering), pads on the left so a batch decodes together, and samples ``n`` completions per prompt
with ``num_return_sequences``. Device ``auto`` is CUDA with bfloat16 when a GPU is present, else the
CPU in float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.generators.base import DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, Messages, render_plain


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class TransformersGenerator:
    """``transformers:PATH_OR_HUB_ID``. Options: device, dtype, batch_size, top_p, trust_remote_code,
    local_files_only; or pass an already loaded ``model`` and ``tokenizer``."""

    def __init__(
        self,
        target: str,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        top_p: float = 1.0,
        trust_remote_code: bool = False,
        local_files_only: bool | None = None,
        model: Any = None,
        tokenizer: Any = None,
        **_ignored: Any,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise AfterburnerError(f"the transformers generator needs torch and transformers: {exc}") from None
        self.torch = torch
        self.target = target
        self.batch_size = max(1, int(batch_size))
        self.top_p = top_p
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        else:
            torch_dtype = getattr(torch, dtype, None)
            if not isinstance(torch_dtype, torch.dtype):
                raise AfterburnerError(f"unknown dtype {dtype!r} (bfloat16, float16, float32 or auto)")
        self.dtype = torch_dtype
        local = Path(target).expanduser()
        looks_local = local.exists() or target.startswith((".", "/", "~")) or target.count("/") > 1
        if looks_local and not local.is_dir():
            raise AfterburnerError(f"model directory {target!r} does not exist")
        source = str(local) if local.is_dir() else target
        if local_files_only is None:
            local_files_only = local.is_dir()
        try:
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(
                source, trust_remote_code=trust_remote_code, local_files_only=local_files_only
            )
            self.model = model or AutoModelForCausalLM.from_pretrained(
                source, dtype=torch_dtype, trust_remote_code=trust_remote_code, local_files_only=local_files_only
            )
        except (OSError, ValueError) as exc:
            where = "the directory" if local.is_dir() else "the hub (offline? not cached? a typo?)"
            raise AfterburnerError(f"cannot load model {target!r} from {where}: {_first_line(exc)}") from None
        self.model.to(self.device)
        self.model.eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            if self.tokenizer.eos_token is not None:
                self.tokenizer.pad_token = self.tokenizer.eos_token
            else:
                self.tokenizer.add_special_tokens({"pad_token": "<pad>"})
                self.model.resize_token_embeddings(len(self.tokenizer))
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, messages: Messages) -> str:
        """The prompt text of one conversation, ready for generation."""
        if self.has_chat_template:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return render_plain(messages)

    def generate(
        self,
        batch_of_messages: list[Messages],
        n: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int | None = None,
    ) -> list[list[str]]:
        if n < 1:
            raise AfterburnerError("n must be at least 1")
        torch = self.torch
        if seed is not None:
            torch.manual_seed(seed)
            if torch.cuda.is_available():
                torch.cuda.manual_seed_all(seed)
        prompts = [self.render(messages) for messages in batch_of_messages]
        sample = temperature > 0
        # Greedy decoding gives one answer per prompt; it is repeated when n > 1.
        per_call = n if sample else 1
        # The chat template already carries BOS and friends; a plain rendering gets the defaults.
        special = not self.has_chat_template
        results: list[list[str]] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            encoded = self.tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=special)
            encoded = {k: v.to(self.device) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}
            options: dict[str, Any] = {
                "max_new_tokens": max_new_tokens,
                "num_return_sequences": per_call,
                "pad_token_id": self.tokenizer.pad_token_id,
                "do_sample": sample,
            }
            if self.tokenizer.eos_token_id is not None:
                options["eos_token_id"] = self.tokenizer.eos_token_id
            if sample:
                options.update(temperature=temperature, top_p=self.top_p, top_k=0)
            else:
                options.update(temperature=None, top_p=None, top_k=None)
            with torch.inference_mode():
                output = self.model.generate(**encoded, **options)
            new_tokens = output[:, encoded["input_ids"].shape[1] :]
            texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
            for index in range(len(chunk)):
                mine = texts[index * per_call : (index + 1) * per_call]
                results.append(mine if sample else mine * n)
        return results
