"""Export the published Decorruptor-CM editor as a decorruptor-stream model bundle.

Decorruptor (Oh et al., "Efficient Diffusion-Driven Corruption Editor for Test-Time Adaptation",
ECCV 2024, https://github.com/oyt9306/Decorruptor) fine-tunes InstructPix2Pix (Stable Diffusion
1.5) to edit corrupted images into clean ones; Decorruptor-CM distils it into a latent consistency
model that samples in 4 steps. This script loads such a checkpoint with diffusers and writes the
bundle the runtime runs (src/model/manifest.ts, docs/models.md):

    vae_encoder.onnx  [B,3,S,S] RGB in [-1,1] -> latent mean [B,4,S/8,S/8] (unscaled)
    vae_decoder.onnx  [B,4,S/8,S/8] unscaled latent -> [B,3,S,S] in [-1,1]
    unet_cm.onnx      sample, cond [B,4,S/8,S/8], timestep [B], guidance [B] -> eps; the two latents
                      are concatenated inside (the unet's 8 input channels) and the instruction's
                      CLIP text embedding [1,77,768] is baked into the graph as a constant
    classifier.onnx   torchvision's ImageNet ResNet-50, or the ONNX classifier you pass
    manifest.json     S = --size (256), scale factor from the VAE, the scheduler's betas, the LCM
                      schedule [999, 759, 499, 259]

A unet without LCM's guidance embedding (time_cond_proj_dim) is exported as a DDIM
InstructPix2Pix editor ('dpm', no guidance input) instead. The SD 1.5 unet is 3.4 GB in float32:
its weights go to external data files next to unet_cm.onnx (ONNX's 2 GB limit); keep them together.

Needs torch, diffusers and transformers (torchvision for the default classifier); none of them are
needed for the tests, which run test/fixtures/model/official, a random-weight bundle of the same
geometry (training/fixtures/make_official_fixture.py). Then:

    python training/export_official.py --checkpoint PATH_OR_HUB_ID [--unet PATH] --out models/decorruptor-cm
    npx decorruptor bundle check models/decorruptor-cm
    npx decorruptor serve --config my.json      # with model.bundle = "models/decorruptor-cm"
"""
import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from onnx_export import export_onnx  # noqa: E402

LCM_TIMESTEPS = [999, 759, 499, 259]  # diffusers' LCMScheduler.set_timesteps(4), 50 original steps
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def require_diffusers():
    try:
        import diffusers  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        sys.exit(f"export_official.py needs diffusers and transformers ({error}); pip install diffusers transformers")
    from diffusers import StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel
    return StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel


class VaeEncoder(nn.Module):
    """The mean of the latent distribution (latent_dist.mode()), unscaled, as InstructPix2Pix conditions on."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, image):
        moments = self.vae.encoder(image)
        if getattr(self.vae, "quant_conv", None) is not None:
            moments = self.vae.quant_conv(moments)
        return moments[:, : self.vae.config.latent_channels]


class VaeDecoder(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decode(latent, return_dict=False)[0]


def guidance_embedding(w, dim):
    """LCM's guidance-scale embedding (diffusers LatentConsistencyModelPipeline.get_guidance_scale_embedding)."""
    w = w * 1000.0
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))
    emb = w[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=1)
    return nn.functional.pad(emb, (0, 1)) if dim % 2 == 1 else emb


class EditorUnet(nn.Module):
    """Our unet convention around a diffusers InstructPix2Pix unet (see the module docstring)."""

    def __init__(self, unet, instruction_embedding):
        super().__init__()
        self.unet = unet
        self.register_buffer("instruction", instruction_embedding)
        self.w_dim = unet.config.time_cond_proj_dim

    def forward(self, sample, cond, timestep, guidance=None):
        context = self.instruction.expand(sample.shape[0], -1, -1)
        extra = {}
        if self.w_dim:
            # diffusers' LCM pipeline embeds (guidance_scale - 1).
            extra["timestep_cond"] = guidance_embedding(guidance - 1.0, self.w_dim)
        return self.unet(torch.cat([sample, cond], dim=1), timestep, encoder_hidden_states=context, return_dict=False, **extra)[0]


def instruction_embedding(pipe, text):
    ids = pipe.tokenizer(text, padding="max_length", max_length=pipe.tokenizer.model_max_length, truncation=True,
                         return_tensors="pt").input_ids
    with torch.no_grad():
        return pipe.text_encoder(ids)[0]  # [1,77,768]


def classifier_entry(args, out):
    """Exports or copies the classifier; returns the manifest's classifier section and labels."""
    if args.classifier_onnx:
        if not (args.labels and args.mean and args.std):
            sys.exit("--classifier-onnx needs --labels, --mean and --std (its normalisation and class order)")
        shutil.copyfile(args.classifier_onnx, out / "classifier.onnx")
        labels = [line.strip() for line in Path(args.labels).read_text().splitlines() if line.strip()]
        entry = {"inputSize": {"width": args.classifier_size, "height": args.classifier_size},
                 "normalization": {"mean": args.mean, "std": args.std}}
    else:
        try:
            import torchvision
        except ImportError:
            sys.exit("the default classifier needs torchvision; or pass --classifier-onnx FILE --labels --mean --std")
        weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V2
        model = torchvision.models.resnet50(weights=weights)
        export_onnx(model, (torch.zeros(1, 3, 224, 224),), ["input"], "logits", out / "classifier.onnx")
        labels = list(weights.meta["categories"])
        entry = {"inputSize": {"width": 224, "height": 224}, "normalization": {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}}
    return {"file": "classifier.onnx", **entry, "resize": "bilinear"}, distinct(labels)


def distinct(labels):
    """ImageNet has two 'crane' and two 'maillot' classes; the manifest wants distinct names: 'crane (2)'."""
    seen = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if labels.count(label) == 1 else f"{label} ({seen[label]})")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="diffusers InstructPix2Pix pipeline folder or hub id")
    parser.add_argument("--unet", help="the distilled (CM) unet, when it is a separate diffusers UNet2DConditionModel folder")
    parser.add_argument("--instruction", default="Remove the corruption from the image",
                        help="the editing instruction the checkpoint was trained with")
    parser.add_argument("--guidance", type=float, default=1.5, help="the image-guidance scale it was distilled with")
    parser.add_argument("--size", type=int, default=256, help="image size the editor works at (a multiple of 8)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--classifier-onnx", help="your classifier instead of torchvision's ResNet-50")
    parser.add_argument("--labels", help="with --classifier-onnx: class names, one per line, in output order")
    parser.add_argument("--mean", type=float, nargs=3)
    parser.add_argument("--std", type=float, nargs=3)
    parser.add_argument("--classifier-size", type=int, default=224)
    args = parser.parse_args()
    if args.size % 8 != 0:
        sys.exit("--size must be a multiple of 8 (the VAE's factor)")

    Pipeline, UNet = require_diffusers()
    pipe = Pipeline.from_pretrained(args.checkpoint, torch_dtype=torch.float32, safety_checker=None)
    if args.unet:
        pipe.unet = UNet.from_pretrained(args.unet, torch_dtype=torch.float32)
    args.out.mkdir(parents=True, exist_ok=True)
    vae, unet = pipe.vae.eval(), pipe.unet.eval()
    channels = vae.config.latent_channels
    latent_shape = [channels, args.size // 8, args.size // 8]
    consistency = bool(unet.config.time_cond_proj_dim)
    name = "cm" if consistency else "dpm"

    with torch.no_grad():
        image = torch.zeros(1, 3, args.size, args.size)
        latent = torch.zeros(1, *latent_shape)
        export_onnx(VaeEncoder(vae), (image,), ["image"], "latent_mean", args.out / "vae_encoder.onnx")
        export_onnx(VaeDecoder(vae), (latent,), ["latent"], "image", args.out / "vae_decoder.onnx")
        wrapper = EditorUnet(unet, instruction_embedding(pipe, args.instruction))
        t = torch.full((1,), 999.0)
        if consistency:
            export_onnx(wrapper, (latent, latent, t, torch.full((1,), args.guidance)), ["sample", "cond", "timestep", "guidance"], "eps",
                   args.out / f"unet_{name}.onnx")
        else:
            export_onnx(wrapper, (latent, latent, t), ["sample", "cond", "timestep"], "eps", args.out / f"unet_{name}.onnx")
    classifier, labels = classifier_entry(args, args.out)

    sched = pipe.scheduler.config
    if consistency:
        editor = {"kind": "consistency", "unet": {"file": f"unet_{name}.onnx"}, "steps": 4, "timesteps": LCM_TIMESTEPS,
                  "originalSteps": 50, "guidanceScale": args.guidance, "sigmaData": 0.5, "timestepScaling": 10}
    else:
        editor = {"kind": "ddim-ip2p", "unet": {"file": f"unet_{name}.onnx"}, "steps": 20,
                  "setAlphaToOne": bool(sched.get("set_alpha_to_one", False))}
    manifest = {
        "name": "decorruptor-official",
        "version": "1.0.0",
        "labels": labels,
        "classifier": classifier,
        "vae": {"encoder": "vae_encoder.onnx", "decoder": "vae_decoder.onnx", "inputSize": {"width": args.size, "height": args.size},
                "latentShape": latent_shape, "scaleFactor": vae.config.scaling_factor, "resize": "bilinear"},
        "noiseSchedule": {"numTrainTimesteps": sched["num_train_timesteps"], "betaStart": sched["beta_start"],
                          "betaEnd": sched["beta_end"], "betaSchedule": sched["beta_schedule"]},
        "editors": {name: editor},
        "info": {"exportedBy": "training/export_official.py", "checkpoint": args.checkpoint, "unet": args.unet,
                 "instruction": args.instruction},
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {args.out / 'manifest.json'}; check it with: npx decorruptor bundle check {args.out}")


if __name__ == "__main__":
    main()
