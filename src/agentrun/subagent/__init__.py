"""Delegation: the Task/Agent tool runs another agent file as a subagent of the session.

``spec.py`` holds what the model is told (Claude Code's schema, the agents it may start);
``task.py`` the tool and the child run (its tools, model, gate, transcript sidechain, events).
"""
