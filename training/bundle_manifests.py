"""Writes an option of an editor into every bundle's manifest (the bundled one and the zoo's), so
that a runtime option chosen on validation reaches each classifier's bundle alike."""
import json

from common import ROOT

BUNDLES = [ROOT.parent / "models" / "cifar10", *sorted((ROOT.parent / "models" / "zoo").iterdir())]


def set_editor_entry(editor: str, key: str, value: dict) -> None:
    for bundle in BUNDLES:
        path = bundle / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest["editors"][editor][key] = value
        path.write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"wrote editors.{editor}.{key} into {path}")
