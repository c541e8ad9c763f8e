"""Long sessions: the context budget, compaction, and the request options a run chooses.

Everything here is imported when first used (the loop calls in through small hooks)."""
