"""agentid: agent identity as code for Okta.

The core package: one loader and one typed model of the agent registry (``agentid.registry``), the finding type
every rule reports with (``agentid.findings``), and the command-line front-end (``agentid.cli``).
"""

__version__ = "0.1.0"
