"""Small ResNet-style CIFAR-10 classifier, sized for live video on a CPU.

Shape follows the fast CIFAR training literature (a frozen 2x2 patch-whitening stem, three
conv-pool-BN-GELU stages, label smoothing, Nesterov SGD with a triangular schedule), narrowed so
that two classifier calls per frame fit the product's CPU budget.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import cifar
from common import (CHECKPOINTS, RUNS, RunLog, flip_and_translate, resume_epochs, save_checkpoint, save_epoch, setup, to_float,
                    warmup_then_linear_decay)

MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]


class ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.gelu(self.bn1(x))
        return F.gelu(self.bn2(self.conv2(x)))


class Classifier(nn.Module):
    """Input: image normalised with MEAN/STD, [B,3,32,32]. Output: logits [B,10]."""

    def __init__(self, widths=(32, 128, 128), num_classes: int = 10):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, bias=True)
        self.whiten.weight.requires_grad_(False)
        self.whiten.bias.requires_grad_(False)
        self.blocks = nn.Sequential(ConvBlock(24, widths[0]), ConvBlock(widths[0], widths[1]), ConvBlock(widths[1], widths[2]))
        self.head = nn.Linear(widths[2], num_classes, bias=False)
        self.logit_scale = 1 / 9

    def init_whitening(self, images: torch.Tensor, eps: float = 5e-4) -> None:
        """Frozen stem: eigenvectors of the 2x2 patch covariance, scaled to unit variance, +/-."""
        patches = images.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)
        patches = patches - patches.mean(0)
        cov = patches.T @ patches / patches.shape[0]
        eigval, eigvec = torch.linalg.eigh(cov)
        filters = (eigvec.T / torch.sqrt(eigval + eps)[:, None]).reshape(12, 3, 2, 2)
        self.whiten.weight.data.copy_(torch.cat([filters, -filters]))
        self.whiten.bias.data.zero_()

    def stages(self, x) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The output of every stage, and the logits (the stages feed a perceptual loss)."""
        h = F.gelu(self.whiten(x))
        features = []
        for block in self.blocks:
            h = block(h)
            features.append(h)
        return features, self.head(F.adaptive_max_pool2d(h, 1).flatten(1)) * self.logit_scale

    def forward(self, x):
        return self.stages(x)[1]


def normalize(x01: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x01 - mean) / std


@torch.no_grad()
def accuracy(model: nn.Module, images01: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(images01), batch):
        logits = model(normalize(images01[i:i + batch]))
        correct += (logits.argmax(1) == labels[i:i + batch]).sum().item()
    return correct / len(images01)


def load_trained(path=CHECKPOINTS / "classifier.pt") -> Classifier:
    state = torch.load(path, map_location="cpu")
    model = Classifier(tuple(state["widths"]))
    model.load_state_dict(state["model"])
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--wd", type=float, default=5e-4)
    parser.add_argument("--widths", type=int, nargs=3, default=[48, 160, 160])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="classifier")
    parser.add_argument("--out", default="classifier.pt", help="file name of the best weights under training/checkpoints")
    parser.add_argument("--time-steps", type=int, default=0, help="only time this many steps, then exit")
    args = parser.parse_args()
    setup(args.seed, args.threads)

    train_x, train_y = cifar.load_split("train")
    val_x, val_y = cifar.load_split("val")
    train_x, val_x = to_float(train_x), to_float(val_x)
    train_y, val_y = torch.from_numpy(train_y), torch.from_numpy(val_y)

    model = Classifier(tuple(args.widths))
    model.init_whitening(normalize(train_x[:5000]))
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(train_x) // args.batch
    total_steps = args.epochs * steps_per_epoch
    warmup = int(0.2 * total_steps)
    lr_at = warmup_then_linear_decay(args.lr, warmup, total_steps)

    log = RunLog(args.name)
    ckpt_path = RUNS / args.name / "last.pt"
    start_epoch, best = resume_epochs(ckpt_path, log, 0.0, model=model, opt=opt)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        perm = torch.randperm(len(train_x))
        t0 = time.time()
        total_loss = 0.0
        for i in range(steps_per_epoch):
            step = epoch * steps_per_epoch + i
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            idx = perm[i * args.batch:(i + 1) * args.batch]
            x = normalize(flip_and_translate(train_x[idx]))
            loss = F.cross_entropy(model(x), train_y[idx], label_smoothing=0.2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += loss.item()
            if args.time_steps and i + 1 >= args.time_steps:
                print(json.dumps({"s_per_step": (time.time() - t0) / args.time_steps, "epoch_estimate_s": (time.time() - t0) / args.time_steps * steps_per_epoch}))
                return
        val_acc = accuracy(model, val_x, val_y)
        log.write(event="epoch", epoch=epoch + 1, loss=total_loss / steps_per_epoch, val_acc=val_acc, epoch_s=round(time.time() - t0, 1))
        if val_acc >= best:
            best = val_acc
            save_checkpoint(CHECKPOINTS / args.out, model=model.state_dict(), widths=args.widths, val_acc=val_acc, epoch=epoch + 1)
        save_epoch(ckpt_path, epoch + 1, best, model=model, opt=opt)
    log.write(event="done", best_val_acc=best)


if __name__ == "__main__":
    main()
