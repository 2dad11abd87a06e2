"""agentos-memories: administer the long-term memories of AI agents."""
