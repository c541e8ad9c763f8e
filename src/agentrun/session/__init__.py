"""Saved sessions: the transcript store (:mod:`.store`), its entries (:mod:`.transcript`) and
listing (:mod:`.listing`).

The names ``agentrun.session`` had before it became a package still resolve, with a warning.
"""

from agentrun._moved import forwarder

__getattr__ = forwarder(__name__, "agentrun.session.store", __path__[0])
