#!/usr/bin/env bash
# Trains the two classifiers of other families (zoo.py), one after the other, resuming each, and
# exports them to models/zoo/. Usage: nohup bash training/zoo.sh > training/zoo.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
$PY zoo.py --arch resnet20 --epochs "${RESNET_EPOCHS:-25}"
$PY zoo.py --arch resnet20 --export ../models/zoo/resnet20.onnx
$PY zoo.py --arch vgg --epochs "${VGG_EPOCHS:-15}"
$PY zoo.py --arch vgg --export ../models/zoo/vgg.onnx
