"""MCP servers: configuration (:mod:`.config`), the client on its own asyncio thread
(:mod:`.client`), the tools they offer as agentrun tools (:mod:`.tools`), and stray server
processes of a killed runtime (:mod:`.reaper`).

Nothing here is imported by a run without MCP configuration, and the ``mcp`` SDK itself is
imported only by :mod:`.client` when a server is about to start.
"""
