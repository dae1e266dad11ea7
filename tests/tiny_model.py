"""A tiny causal LM + tokenizer built on the spot (no download): for generator and trainer tests.

`build_tiny_model(path)` trains a byte-level BPE tokenizer on venus-mini's prompts and solutions,
wraps it as a `PreTrainedTokenizerFast` with a chat template, builds a 2-layer LLaMA with random
weights, and saves both with `save_pretrained`. It returns `path`; a directory that already holds a
built model is reused.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL = ["<|pad|>", "<|bos|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _corpus() -> list[str]:
    from afterburner_core.datasets import load_problems
    from afterburner_core.prompts import build_messages, format_response

    texts = []
    for problem in load_problems("venus-mini"):
        for language, solutions in problem.solutions.items():
            for message in build_messages(problem, "python", "time"):
                texts.append(message["content"])
            texts.extend(format_response(s.code, language, s.label) for s in solutions)
    return texts


def build_tiny_model(
    path: str | Path,
    vocab_size: int = 1024,
    hidden_size: int = 32,
    layers: int = 2,
    seed: int = 0,
    chat_template: str | None = CHAT_TEMPLATE,
) -> Path:
    """Build and save a tiny LLaMA-style model and its tokenizer under `path`; returns `path`.

    `chat_template=None` saves a tokenizer without one (generators then render plain text)."""
    path = Path(path)
    if (path / "config.json").exists() and (path / "tokenizer.json").exists():
        return path
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        pad_token="<|pad|>",
        bos_token="<|bos|>",
        eos_token="<|end|>",
        additional_special_tokens=SPECIAL[3:],
    )
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.model_max_length = 4096

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
