"""The demo: a synthetic population lives through the book, end to end, on the real services.

``lendcore demo`` (``commands.py``) runs ``simulate.run_demo``: people from ``population.py``
apply and the decision engine decides; the approved buy at checkout on installments and draw
cash; each simulated day ``behaviour.py`` says who pays (on time, late, never, early), returns
goods or signs a negotiated plan, ``collect.py`` works the overdue cases through the contact
guard, and the nightly run (``nightly.py``) ages the book. ``report.py`` and ``charts.py`` turn
what happened into the terminal summary and ``report/index.html``. Same seed, same result.
"""
