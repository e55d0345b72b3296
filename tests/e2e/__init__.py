"""End-to-end run in a real browser (``scripts/e2e``).

Not collected by pytest: it needs ``.venv-e2e`` (Home Assistant with its
frontend, Playwright) and Debian's Chromium, built by ``scripts/setup --e2e``.
"""
