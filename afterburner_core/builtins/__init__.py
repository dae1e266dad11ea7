"""The plugins that ship inside the core distribution, one module each, registered by dotted name
(`plugins.BUILTIN_PLUGINS`) exactly like third-party plugins: the backends, the bundled dataset,
the built-in rewards and generators."""
