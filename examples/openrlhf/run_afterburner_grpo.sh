#!/usr/bin/env bash
# GRPO with OpenRLHF and Afterburner's execution reward served by `afterburner serve` (POST /get_reward),
# with the paper's GRPO settings (32 prompts x 32 rollouts, lr 1e-6, no KL, responses <= 8192 tokens,
# vLLM TP 2 on one node of 8 GPUs). Written for openrlhf 0.11 (dotted flags: --reward.remote_url, ...).
# OpenRLHF sends one rollout per request and retries a refused one only 5 times, 1 s apart, within a
# 180 s timeout: the queue must hold every rollout in flight (--queue-size >= 32 x 32).
# Usage: bash examples/openrlhf/run_afterburner_grpo.sh [more openrlhf flags]
set -euo pipefail

DATA=${DATA:-data/openrlhf}
MODEL=${MODEL:-Elfsong/Qwen2.5-Coder-3B-Venus-Cold-Start}
PORT=${PORT:-8000}
[ -f "$DATA/train.jsonl" ] || afterburner data grpo --format openrlhf -o time -o memory -o integral --out "$DATA"

afterburner dataset calibrate   # the human distribution, measured once before training, not mid-run
afterburner serve --port "$PORT" --queue-size 2048 --log-level warning &
SERVER=$!
trap 'kill $SERVER' EXIT

python3 -m openrlhf.cli.train_ppo_ray \
    --reward.remote_url "http://127.0.0.1:$PORT/get_reward?reward=afterburner&timeout_s=5" \
    --data.prompt_dataset "$DATA/train.jsonl" \
    --data.input_key prompt \
    --data.label_key label \
    --data.apply_chat_template \
    --data.max_len 10240 \
    --rollout.max_new_tokens 8192 \
    --actor.model_name_or_path "$MODEL" \
    --algo.advantage.estimator group_norm \
    --rollout.n_samples_per_prompt 32 \
    --rollout.batch_size 32 \
    --train.batch_size 1024 \
    --train.micro_batch_size 4 \
    --rollout.micro_batch_size 16 \
    --rollout.temperature 1.0 \
    --actor.adam.lr 1e-6 \
    --algo.kl.init_coef 0 \
    --actor.entropy_coef 0 \
    --train.num_episodes 200 \
    --actor.num_nodes 1 \
    --actor.num_gpus_per_node 8 \
    --ref.num_nodes 1 \
    --ref.num_gpus_per_node 8 \
    --vllm.num_engines 4 \
    --vllm.tensor_parallel_size 2 \
    --vllm.gpu_memory_utilization 0.5 \
    --vllm.enable_sleep \
    --train.colocate_all \
    --ds.zero_stage 3 \
    --ds.param_dtype bf16 \
    --actor.gradient_checkpointing_enable \
    --ckpt.output_dir checkpoints/afterburner-grpo \
    --logger.logging_steps 1 \
    "$@"
