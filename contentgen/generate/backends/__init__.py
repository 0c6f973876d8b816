"""Generator backends, one file each; pick one with ``contentgen.generate.factory.create_generator``."""
