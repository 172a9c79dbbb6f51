#!/bin/bash
# The bundle's int8 variant in one command, rerun after every export (models/cifar10 by default):
#   bash training/quantize.sh [BUNDLE] [IMAGES]
# 1. `decorruptor bundle calibrate`: the runtime's own batch path (CM editor) over IMAGES training
#    images (default 512), clean and under the four extra corruptions; activation histograms.
# 2. quantize.py: QDQ models <name>.int8.onnx and the manifest's variants.int8.
# The DPM UNet stays fp32 (the CM is what serves); add --editors cm,dpm below to quantize it too.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-models/cifar10}
images=${2:-512}
ranges=training/runs/quantize/$(basename "$bundle")-ranges.json
mkdir -p "$(dirname "$ranges")"
[ -f dist/cli/main.js ] || npm run build
node dist/cli/main.js bundle calibrate "$bundle" --editors cm --images "$images" --out "$ranges"
(cd training && /usr/bin/python3 quantize.py --bundle "../$bundle" --ranges "../$ranges")
