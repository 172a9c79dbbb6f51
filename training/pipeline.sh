#!/usr/bin/env bash
# Trains every model in order, resuming each stage from its last checkpoint, then exports the bundle.
# Stages that are already complete return at once. Usage: nohup bash training/pipeline.sh > training/pipeline.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
TEACHER_STEPS=${TEACHER_STEPS:-14000}
CM_STEPS=${CM_STEPS:-3000}

wait_for_other() {  # a stage may already run in the background (started by hand): wait for it
  while pgrep -f "python3 $1" > /dev/null; do sleep 20; done
}

wait_for_other vae.py
$PY vae.py --ch 48 --blocks 1 --epochs "${VAE_EPOCHS:-8}"
wait_for_other teacher.py
$PY teacher.py --steps "$TEACHER_STEPS" --batch 64
wait_for_other distill.py
$PY distill.py --steps "$CM_STEPS" --batch 64
# The classifier is independent of the editor chain; it may have been trained (or paused) separately.
wait_for_other classifier.py
$PY classifier.py --widths 64 256 256 --epochs "${CLASSIFIER_EPOCHS:-13}"
# Decoder tuning against the classifier (the encoder, so the editors' latent space, is frozen). It
# writes its --out only when validation reconstructions classify better than before. The second
# pass grows the decoder from 1 to 4 residual blocks (the new ones start as identities).
$PY vae_decoder.py --classifier classifier.pt --out vae_tuned.pt --steps 600
if [ -f checkpoints/vae_tuned.pt ]; then cp checkpoints/vae_tuned.pt checkpoints/vae.pt; fi
$PY vae_decoder.py --classifier classifier.pt --vae vae.pt --decoder-blocks 4 --out vae_deep.pt --name vae_decoder3 --steps 1500 --lr 3e-4 --eval-every 150
if [ -f checkpoints/vae_deep.pt ]; then cp checkpoints/vae_deep.pt checkpoints/vae.pt; fi
# The noise each editor samples every stream with, chosen on validation; the seeds go into the manifest.
chosen_seed() {
  $PY choose_noise.py --editor "$1" | tail -n 1 | $PY -c 'import json, sys; print(json.load(sys.stdin)["chosen_seed"])'
}
CM_SEED=$(chosen_seed cm)
DPM_SEED=$(chosen_seed dpm)
$PY export.py --cm-noise-seed "$CM_SEED" --dpm-noise-seed "$DPM_SEED"
node check_parity.mjs ../models/cifar10
