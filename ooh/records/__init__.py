"""After the night: the chronology for a review, subject access, and retention with legal holds.

The record ooh keeps as the night happens (events, decisions, attendance, escalations, notifications,
plans and their reading, and every access in the audit) turned into what reviewers, data protection
officers and the people themselves are entitled to, and kept only as long as the law allows. Who may
read or do any of it is asked of ooh.access.
"""
