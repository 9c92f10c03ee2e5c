"""The Pulumi program that declares every registered agent's Okta identity.

``infra/__main__.py`` is what ``pulumi preview`` / ``pulumi up`` run; it is thin on purpose. The program itself is
:func:`infra.program.declare`, which the offline plan (``agentid plan``, :mod:`agentid.plan`) calls under the Pulumi
SDK mock engine, so what reviewers and resource rules see offline is what the real deploy would register.

Dependency direction: this package reads the registry model (:mod:`agentid.registry`) and never imports
``policies.rules``; rules judge what this program declares, not the other way round.
"""
