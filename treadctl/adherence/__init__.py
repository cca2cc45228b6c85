"""The adherence report for the physiotherapist (``treadctl report``): what was prescribed
against what was walked, week by week and session by session, with every safety stop."""
