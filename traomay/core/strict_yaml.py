"""YAML for files people edit (apk_manifest.yaml, criteria.yaml, campaign.yaml): safe
loading that refuses duplicate keys, since PyYAML silently keeps the last one and a pasted
second ``min_front:`` would quietly change a threshold."""

from __future__ import annotations

from typing import Any

import yaml


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _no_duplicates(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_strict(text: str) -> Any:
    """Parse YAML text; yaml.YAMLError (with marks) on syntax errors or duplicate keys."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - SafeLoader subclass
