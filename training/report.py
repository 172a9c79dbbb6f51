"""Measures what the model card reports: parameters and multiply-adds per frame per stage, ONNX file
sizes, clean test accuracy, and classifier accuracy on VAE reconstructions of the clean test set.
Writes models/cifar10/report.json. Test images are used here for final measurement only."""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

import cifar
import classifier as classifier_mod
import distill as distill_mod
import teacher as teacher_mod
import vae as vae_mod
from common import setup, to_float

BUNDLE = Path(__file__).resolve().parent.parent / "models" / "cifar10"


def multiply_adds(model, *inputs) -> int:
    """Conv and linear multiply-adds of one forward pass (batch 1)."""
    total = 0

    def hook(module, _inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            total += output.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, torch.nn.Linear):
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(*inputs)
    for h in handles:
        h.remove()
    return total


def count_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def accuracies(clf, vae, images01, labels, batch=500):
    clean = recon = 0
    for i in range(0, len(images01), batch):
        x = images01[i:i + batch]
        y = labels[i:i + batch]
        clean += (clf(classifier_mod.normalize(x)).argmax(1) == y).sum().item()
        r = (vae.decoder(vae.encoder(x * 2 - 1)[0]) + 1) / 2
        recon += (clf(classifier_mod.normalize(r.clamp(0, 1))).argmax(1) == y).sum().item()
    return clean / len(images01), recon / len(images01)


def main():
    setup(0, 2)
    clf = classifier_mod.load_trained()
    vae, scale = vae_mod.load_trained()
    test_x, test_y = cifar.load_split("test")
    clean_acc, recon_acc = accuracies(clf, vae, to_float(test_x), torch.from_numpy(test_y))
    image = torch.rand(1, 3, 32, 32)
    z = torch.randn(1, *[4, 32 // vae.config["factor"], 32 // vae.config["factor"]])
    t = torch.tensor([500.0])
    stages = {
        "classifier": (clf, (image,)),
        "vae_encoder": (vae.encoder, (image,)),
        "vae_decoder": (vae.decoder, (z,)),
    }
    if (teacher_mod.CHECKPOINTS / "dpm_unet.pt").exists():
        stages["dpm_unet"] = (teacher_mod.load_trained(), (z, z, t))
    if (distill_mod.CHECKPOINTS / "cm_unet.pt").exists():
        stages["cm_unet"] = (distill_mod.load_trained(), (z, z, t, torch.tensor([1.1])))
    per_stage = {name: {"params": count_params(m), "mult_adds": multiply_adds(m, *inp)} for name, (m, inp) in stages.items()}
    mac = {k: v["mult_adds"] for k, v in per_stage.items()}
    # A CM editor with a detail residual (residual_edit.py) decodes the input's own latent too.
    manifest_path = BUNDLE / "manifest.json"
    cm_spec = json.loads(manifest_path.read_text())["editors"].get("cm", {}) if manifest_path.exists() else {}
    cm_decodes = 2 if "detailResidual" in cm_spec else 1
    per_frame = {
        "classifier_only": mac["classifier"],
        "cm4_ensemble": 2 * mac["classifier"] + mac["vae_encoder"] + cm_decodes * mac["vae_decoder"] + 4 * mac.get("cm_unet", 0),
        # DPM-20 runs its guidance as a batch of 2 per step: 40 UNet sample-evaluations.
        "dpm20_ensemble": 2 * mac["classifier"] + mac["vae_encoder"] + mac["vae_decoder"] + 40 * mac.get("dpm_unet", 0),
    }
    report = {
        "test_accuracy": {"clean": clean_acc, "vae_reconstruction": recon_acc, "n": len(test_y)},
        "latent_scale_factor": scale,
        "vae": vae.config,
        "per_stage": per_stage,
        "mult_adds_per_frame": per_frame,
        "onnx_file_bytes": {p.name: p.stat().st_size for p in sorted(BUNDLE.glob("*.onnx"))},
    }
    BUNDLE.mkdir(parents=True, exist_ok=True)
    (BUNDLE / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
