"""The classifiers that may take part in building the editor (issue 14).

Choices made on one classifier's accuracy (a decoder's perceptual loss, a guidance scale, a noise
seed, a checkpoint) co-adapt the editor to that classifier. Every such choice is made on a panel
instead: the bundled family (`classifier.pt`) and the zoo classifiers that are not held out. The
held-out classifier (zoo.HELD_OUT) is refused here, so no script can select on it by mistake.
"""
import torch
import torch.nn.functional as F

import classifier as classifier_mod
import zoo
from common import CHECKPOINTS


class PanelMember:
    """One perceptual network: `classifier.pt` (the bundled family) or `zoo:<arch>` (zoo.py)."""

    def __init__(self, name: str):
        self.name = name
        if name.startswith("zoo:"):
            self.arch = name[4:]
            if zoo.HELD_OUT[self.arch]:
                raise SystemExit(f"{self.arch} is held out: it may not take part in building the editor")
            self.model = zoo.load_trained(self.arch)
        else:
            self.arch = None
            self.model = classifier_mod.load_trained(CHECKPOINTS / name)
        for p in self.model.parameters():
            p.requires_grad_(False)

    def features(self, images01: torch.Tensor) -> list[torch.Tensor]:
        """The output of every stage of the network, then its log-probabilities."""
        if self.arch is None:
            features, logits = self.model.stages(classifier_mod.normalize(images01))
        elif self.arch == "vgg":
            features, h = [], zoo.normalize("vgg", images01)
            for layer in self.model.features:
                h = layer(h)
                if isinstance(layer, torch.nn.MaxPool2d):
                    features.append(h)
            logits = self.model.head(h.flatten(1))
        else:
            raise SystemExit(f"no stage features for {self.arch}")
        return features + [F.log_softmax(logits, dim=1)]

    def predict(self, images01: torch.Tensor) -> torch.Tensor:
        return self.features(images01)[-1].argmax(1)



def default_panel() -> list[PanelMember]:
    """The bundled classifier and every trained zoo classifier that is not held out."""
    names = ["classifier.pt"] + [f"zoo:{arch}" for arch, held_out in zoo.HELD_OUT.items()
                                 if not held_out and zoo.checkpoint_path(arch).exists()]
    return [PanelMember(name) for name in names]
