"""The deterministic local model (a real BaseChatModel) and the topic model it uses to tell
which facts a clarifying question asks about."""
