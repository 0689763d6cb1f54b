"""Real arms: SO-101 and Koch, followers and leaders, on their motor buses."""
