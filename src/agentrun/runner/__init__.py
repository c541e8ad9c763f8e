"""Running an agent: assembling a session from options (:mod:`.runtime`) and the Python API
(:mod:`.api`). Named ``runner``, not ``run``: a subpackage ``agentrun.run`` would replace the
public function ``agentrun.run`` as soon as it is imported.
"""
