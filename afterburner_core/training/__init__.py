"""Training: SFT/DPO data from measured human solutions, and TRL trainers (SFT, DPO, GRPO).

`data` needs only the core; `trainers` imports torch, transformers, trl (and peft for LoRA) lazily.
"""

from afterburner_core.training.data import build_dpo, build_sft, measured_solutions, write_rows

__all__ = ["build_dpo", "build_sft", "measured_solutions", "write_rows"]
