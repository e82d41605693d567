"""Human-approved configuration changes: propose, pre-check, approve, apply, verify, roll back.

No model output reaches a device without a person's approval. The pipeline is enforced here, in
the engine, so Slack and the CLI share it: candidates come from the templates and hier_config's
remediation, or are drafted lines that must fit the templates' grammar (`candidate`, `grammar`);
pre-checks run before anyone is asked (`checks`); an approved change is merged, compared with
the approved diff, committed with a revert timer, post-checked, and confirmed or rolled back
(`pipeline`, through `device` sessions). Who may approve, and when, is `rules`.
"""
