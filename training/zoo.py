"""Classifiers of other families than the bundled one, to measure how general the editor is.

The bundled classifier (classifier.py) took part in building the editor. These did not: each is
trained here on the training split only, with its own architecture, normalisation and augmentation,
and exported as a standalone ONNX file with its own tensor names, the way a user would bring one.

- `vgg`: a plain VGG-style net (conv-BN-ReLU x2 per stage, max-pool, 4 stages of 32-64-128-256),
  flip + 4 px crop, ImageNet-style normalisation. Allowed to take part in selection choices.
- `resnet20`: the CIFAR ResNet-20 of He et al. (3 stages of 3 basic blocks, 16-32-64 channels),
  flip + 4 px crop + cutout 8 px, [-1, 1] scaling. HELD OUT: never used in any training loss,
  checkpoint, scale, seed or schedule choice of the editor (issue 14). It only measures.

Usage: /usr/bin/python3 zoo.py --arch resnet20 --epochs 30
       /usr/bin/python3 zoo.py --arch resnet20 --export ../models/zoo/resnet20   # a bundle variant
"""
import argparse
import json
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import cifar
from common import (CHECKPOINTS, RUNS, RunLog, flip_and_translate, resume_epochs, save_checkpoint, save_epoch, setup, to_float,
                    warmup_then_linear_decay)

# Each family carries its own input convention, as foreign classifiers do.
NORMALISATION = {
    "vgg": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    "resnet20": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
}
TENSOR_NAMES = {"vgg": ("pixels", "scores"), "resnet20": ("input", "logits")}
HELD_OUT = {"vgg": False, "resnet20": True}


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Vgg(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), num_classes: int = 10):
        super().__init__()
        layers, cin = [], 3
        for w in widths:
            layers += [conv_bn_relu(cin, w), conv_bn_relu(w, w), nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin * 2 * 2, num_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, num_classes: int = 10, blocks_per_stage: int = 3):
        super().__init__()
        self.stem = conv_bn_relu(3, 16)
        stages, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(blocks_per_stage):
                stages.append(BasicBlock(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        h = self.stages(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(h, 1).flatten(1))


ARCHS = {"vgg": Vgg, "resnet20": ResNet20}


def normalize(arch: str, x01: torch.Tensor) -> torch.Tensor:
    norm = NORMALISATION[arch]
    return (x01 - torch.tensor(norm["mean"]).view(1, 3, 1, 1)) / torch.tensor(norm["std"]).view(1, 3, 1, 1)


def cutout(x: torch.Tensor, size: int = 8) -> torch.Tensor:
    """Zero one random size x size square per image (DeVries & Taylor)."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n, 1, 1))
    cx = torch.randint(0, w, (n, 1, 1))
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    hole = ((ys - cy).abs() <= size // 2) & ((xs - cx).abs() <= size // 2)
    return x * (~hole).unsqueeze(1)


def augment(arch: str, x: torch.Tensor) -> torch.Tensor:
    x = flip_and_translate(x, pad=4, mode="constant")  # the ResNet paper's zero-padded crop
    return cutout(x) if arch == "resnet20" else x


@torch.no_grad()
def accuracy(arch: str, model: nn.Module, images01: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(images01), batch):
        correct += (model(normalize(arch, images01[i:i + batch])).argmax(1) == labels[i:i + batch]).sum().item()
    return correct / len(images01)


def checkpoint_path(arch: str) -> Path:
    return CHECKPOINTS / f"zoo_{arch}.pt"


def load_trained(arch: str) -> nn.Module:
    model = ARCHS[arch]()
    model.load_state_dict(torch.load(checkpoint_path(arch), map_location="cpu")["model"])
    return model.eval()


def export_bundle(arch: str, out: Path, editor_bundle: Path) -> None:
    """A bundle variant: this classifier (its own ONNX file, tensor names and normalisation) with
    the editor of `editor_bundle`, whose files the manifest names by relative path (nothing copied).
    `decorruptor eval --bundle <out>` then measures the shipped editor for this classifier."""
    model = load_trained(arch)
    input_name, output_name = TENSOR_NAMES[arch]
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (torch.zeros(1, 3, 32, 32),), str(out / "classifier.onnx"), input_names=[input_name],
                      output_names=[output_name], dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
                      opset_version=17, do_constant_folding=True)
    manifest = json.loads((editor_bundle / "manifest.json").read_text())
    shared = os.path.relpath(editor_bundle.resolve(), out.resolve())
    manifest["vae"]["encoder"] = f"{shared}/{manifest['vae']['encoder']}"
    manifest["vae"]["decoder"] = f"{shared}/{manifest['vae']['decoder']}"
    for editor in manifest["editors"].values():
        editor["unet"]["file"] = f"{shared}/{editor['unet']['file']}"
    if "gate" in manifest:  # the corruption gate is the editor bundle's too
        manifest["gate"]["file"] = f"{shared}/{manifest['gate']['file']}"
    manifest.pop("variants", None)  # the int8 files quantize the bundled classifier, not this one
    state = torch.load(checkpoint_path(arch), map_location="cpu")
    manifest["name"] = f"{manifest['name']}+{arch}"
    manifest["classifier"] = {"file": "classifier.onnx", "input": input_name, "output": output_name, "inputSize": {"width": 32, "height": 32},
                              "normalization": NORMALISATION[arch], "resize": manifest["classifier"].get("resize", "area")}
    manifest["info"] = {"classifier": {"arch": arch, "heldOut": HELD_OUT[arch], "valAcc": state["val_acc"], "epoch": state["epoch"],
                                       "trainedBy": "training/zoo.py"}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps({"exported": str(out), **manifest["info"]["classifier"]}))


def train(args) -> None:
    train_x, train_y = cifar.load_split("train")
    val_x, val_y = cifar.load_split("val")
    train_x, val_x = to_float(train_x), to_float(val_x)
    train_y, val_y = torch.from_numpy(train_y), torch.from_numpy(val_y)

    model = ARCHS[args.arch]()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.wd)
    steps_per_epoch = len(train_x) // args.batch
    total_steps = args.epochs * steps_per_epoch
    warmup = steps_per_epoch  # one epoch of linear warm-up, then a one-cycle linear decay
    lr_at = warmup_then_linear_decay(args.lr, warmup, total_steps)

    name = args.name or f"zoo_{args.arch}"
    log = RunLog(name)
    ckpt_path = RUNS / name / "last.pt"
    start_epoch, best = resume_epochs(ckpt_path, log, 0.0, model=model, opt=opt)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        perm = torch.randperm(len(train_x))
        t0 = time.time()
        total_loss = 0.0
        for i in range(steps_per_epoch):
            for g in opt.param_groups:
                g["lr"] = lr_at(epoch * steps_per_epoch + i)
            idx = perm[i * args.batch:(i + 1) * args.batch]
            x = normalize(args.arch, augment(args.arch, train_x[idx]))
            loss = F.cross_entropy(model(x), train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += loss.item()
            if args.time_steps and i + 1 >= args.time_steps:
                s = (time.time() - t0) / args.time_steps
                print(json.dumps({"s_per_step": s, "epoch_estimate_s": s * steps_per_epoch}))
                return
        val_acc = accuracy(args.arch, model, val_x, val_y)
        log.write(event="epoch", epoch=epoch + 1, loss=total_loss / steps_per_epoch, val_acc=val_acc, epoch_s=round(time.time() - t0, 1))
        # The last epoch of a one-cycle schedule is the one kept: picking the best validation epoch
        # would be a selection on validation, which the held-out classifier must not have either way.
        save_checkpoint(checkpoint_path(args.arch), model=model.state_dict(), val_acc=val_acc, epoch=epoch + 1)
        best = max(best, val_acc)
        save_epoch(ckpt_path, epoch + 1, best, model=model, opt=opt)
    log.write(event="done", final_val_acc=val_acc if args.epochs > start_epoch else None, best_val_acc=best)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=sorted(ARCHS), required=True)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--wd", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="")
    parser.add_argument("--time-steps", type=int, default=0, help="only time this many steps, then exit")
    parser.add_argument("--export", default="", help="instead of training: write a bundle variant (this classifier + the editor bundle's editor) to this folder")
    parser.add_argument("--editor-bundle", default=str(Path(__file__).resolve().parent.parent / "models" / "cifar10"))
    args = parser.parse_args()
    setup(args.seed, args.threads)
    if args.export:
        export_bundle(args.arch, Path(args.export), Path(args.editor_bundle))
    else:
        train(args)


if __name__ == "__main__":
    main()
