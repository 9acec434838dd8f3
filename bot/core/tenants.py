"""Who a Slack request or installation belongs to: the tenant every key and job carries."""

from __future__ import annotations


def slack_tenant(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> str:
    """ "slack:<team id>"; an org-wide (Enterprise Grid) install is one tenant for the whole
    org, "slack:<enterprise id>", and so is a request that names only the enterprise."""
    if (org_wide or not team_id) and enterprise_id:
        return f"slack:{enterprise_id}"
    return f"slack:{team_id or 'unknown'}"
