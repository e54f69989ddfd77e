"""Every suite by name, and the Markdown listing that `python -m quality` prints."""

from __future__ import annotations

from quality.definitions import SuiteDef
from quality.model_suites import MODEL_SUITE_DEFS
from quality.raw_suites import RAW_SUITE_DEFS

RAW_SUITES: tuple[str, ...] = tuple(RAW_SUITE_DEFS)  # dataset names, as in ingestion.specs.SPECS
MODEL_SUITES: tuple[str, ...] = tuple(MODEL_SUITE_DEFS)  # dbt model names


def raw_suite(dataset: str) -> SuiteDef:
    try:
        return RAW_SUITE_DEFS[dataset]
    except KeyError:
        raise ValueError(
            f"no raw suite for dataset {dataset!r}; known datasets: {', '.join(RAW_SUITES)}"
        ) from None


def model_suite(model: str) -> SuiteDef:
    try:
        return MODEL_SUITE_DEFS[model]
    except KeyError:
        raise ValueError(
            f"no suite for model {model!r}; known models: {', '.join(MODEL_SUITES)}"
        ) from None


def markdown() -> str:
    """Each suite, its parts and their expectations."""
    lines: list[str] = []
    for suite in (*RAW_SUITE_DEFS.values(), *MODEL_SUITE_DEFS.values()):
        lines.append(f"#### `{suite.name}` ({suite.n_expectations} expectations)")
        lines.append("")
        lines.append(suite.description)
        lines.append("")
        for part in suite.parts:
            title = "frame as given" if not part.name else f"part `{part.name}`"
            lines.append(f"- {title}: {part.description}")
            lines.extend(f"  - `{e.describe()}`" for e in part.expectations)
        lines.append("")
    return "\n".join(lines)
