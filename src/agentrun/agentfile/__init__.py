"""Agent files: parsing (:mod:`.agentfile`, :mod:`.agentyaml`), discovery, and the system prompt
built from one (:mod:`.prompt`).

The names ``agentrun.agentfile`` had before it became a package still resolve, with a warning.
"""

from agentrun._moved import forwarder

__getattr__ = forwarder(__name__, "agentrun.agentfile.agentfile", __path__[0])
