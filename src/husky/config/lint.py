"""`husky validate --strict`: advice about a valid config (stderr warnings, exit code unchanged)."""

from __future__ import annotations

from husky.config.effective import HuskyConfig
from husky.config.templates import OUTPUT_REF


def strict_warnings(config: HuskyConfig) -> list[str]:
    """Every warning, jobs sorted by name."""
    warnings: list[str] = []
    for name, job in config.jobs.items():
        if job.notify is None:
            warnings.append(f"warning: job {name} has no notify configuration")
        texts = [job.command, *job.env.values()]
        for upstream, var in sorted({ref for t in texts for ref in OUTPUT_REF.findall(t)}):
            source = config.jobs.get(upstream)
            if source is None:
                warnings.append(
                    f'warning: job {name} uses outputs.{upstream}.{var} but there is no job "{upstream}"'
                )
            elif var not in source.output:
                warnings.append(
                    f'warning: job {name} uses outputs.{upstream}.{var} but job "{upstream}" '
                    f'captures no output "{var}"'
                )
    return warnings
