#!/usr/bin/env bash
# GRPO with verl and Afterburner's execution reward, with the paper's settings
# (arXiv 2505.23387; the original run is AB/grpo/afterburner_train.sh): 32 prompts x 32 rollouts
# per step, lr 1e-6, no KL, prompts <= 2048 tokens, responses <= 8192, vLLM TP 2, one node of 8 GPUs.
# Written for verl 0.9 (reward under `reward.*`; its reward loop calls `compute_score` per sample).
# Older verl with the batch reward manager (what the paper used):
#   custom_reward_function.path=$REWARD custom_reward_function.name=compute_score_batch
#   reward_model.reward_manager=batch
# Usage: bash examples/verl/run_afterburner_grpo.sh [more hydra overrides]
set -euo pipefail

DATA=${DATA:-data/verl}
MODEL=${MODEL:-Elfsong/Qwen2.5-Coder-3B-Venus-Cold-Start}  # the paper's GRPO start (cold-start SFT)
GPUS=${GPUS:-8}
REWARD=$(python3 -c "import afterburner_core.rewards.verl as m; print(m.__file__)")

# One prompt per (problem, language, objective) improving a random original solution, as the paper's data.
[ -f "$DATA/train.parquet" ] || afterburner data grpo --format verl -o time -o memory -o integral --out "$DATA"

python3 -m verl.trainer.main_ppo \
    algorithm.adv_estimator=grpo \
    algorithm.use_kl_in_reward=False \
    data.train_files="$DATA/train.parquet" \
    data.val_files="$DATA/test.parquet" \
    data.train_batch_size=32 \
    data.max_prompt_length=2048 \
    data.max_response_length=8192 \
    data.filter_overlong_prompts=True \
    data.truncation=error \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.model.use_remove_padding=True \
    actor_rollout_ref.model.enable_gradient_checkpointing=True \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=32 \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4 \
    actor_rollout_ref.actor.use_kl_loss=False \
    actor_rollout_ref.actor.entropy_coeff=0 \
    actor_rollout_ref.actor.fsdp_config.param_offload=False \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=False \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=32 \
    actor_rollout_ref.rollout.temperature=1.0 \
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.rollout.gpu_memory_utilization=0.5 \
    actor_rollout_ref.rollout.max_num_batched_tokens=163840 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=16 \
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=16 \
    actor_rollout_ref.ref.fsdp_config.param_offload=True \
    reward.custom_reward_function.path="$REWARD" \
    reward.custom_reward_function.name=compute_score \
    reward.reward_manager.name=naive \
    +reward.custom_reward_function.reward_kwargs.reward=afterburner \
    +reward.custom_reward_function.reward_kwargs.timeout_s=5 \
    +reward.custom_reward_function.reward_kwargs.baseline_ttl_s=120 \
    trainer.n_gpus_per_node="$GPUS" \
    trainer.nnodes=1 \
    trainer.total_epochs=200 \
    trainer.save_freq=10 \
    trainer.test_freq=10 \
    trainer.val_before_train=False \
    trainer.critic_warmup=0 \
    trainer.logger='["console","wandb"]' \
    trainer.project_name=afterburner_grpo \
    trainer.experiment_name=venus_mini_grpo \
    "$@"
