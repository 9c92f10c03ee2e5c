"""The Pulumi policy pack (CrossGuard): the resource and stack rules at ``pulumi preview --policy-pack policies/pack``.

:mod:`policies.pack.validators` holds everything testable; ``__main__.py`` only starts the pack's gRPC server.
"""
