#!/usr/bin/env bash
# Trains the two classifiers of other families (zoo.py), one after the other, resuming each, and
# exports each as a bundle variant under models/zoo/ (its classifier + the shipped editor). Usage: nohup bash training/zoo.sh > training/zoo.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
$PY zoo.py --arch resnet20 --epochs "${RESNET_EPOCHS:-15}"
$PY zoo.py --arch resnet20 --export ../models/zoo/resnet20
$PY zoo.py --arch vgg --epochs "${VGG_EPOCHS:-10}"
$PY zoo.py --arch vgg --export ../models/zoo/vgg
