"""The inventory: every agent, its owners, what it can touch and how risky that is, in four formats."""

from agentid.inventory.model import LEVELS, Risk, build_inventory, risk_of

__all__ = ["LEVELS", "Risk", "build_inventory", "render", "risk_of"]


def render(inventory: dict, output_format: str) -> str:
    """Render in ``md``, ``csv``, ``json`` or ``html``."""
    from agentid.inventory import html, tabular

    renderers = {
        "md": tabular.render_markdown,
        "csv": tabular.render_csv,
        "json": tabular.render_json,
        "html": html.render_html,
    }
    return renderers[output_format](inventory)
