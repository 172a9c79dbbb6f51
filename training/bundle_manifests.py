"""Reads the shipped bundle's editor entries, and writes an option of an editor into every bundle's
manifest (the bundled one and the zoo's), so that a runtime option chosen on validation reaches
each classifier's bundle alike."""
import json

from common import ROOT

SHIPPED = ROOT.parent / "models" / "cifar10"
BUNDLES = [SHIPPED, *sorted((ROOT.parent / "models" / "zoo").iterdir())]


def shipped_editors() -> dict:
    """The shipped bundle's `editors` entries (guidance, pinned noise, runtime options)."""
    return json.loads((SHIPPED / "manifest.json").read_text())["editors"]


def set_editor_entry(editor: str, key: str, value: dict) -> None:
    for bundle in BUNDLES:
        path = bundle / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest["editors"][editor][key] = value
        path.write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"wrote editors.{editor}.{key} into {path}")
