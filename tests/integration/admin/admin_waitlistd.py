"""The waitlistd both admin suites drive: a partner and served prefixes to list, and a short
shutdown grace so that the stop tests end quickly."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from waitlistd import Waitlistd  # noqa: E402

DOMAIN = 'sp.example'


def admin_waitlistd(binary, token=None):
    return Waitlistd(binary, DOMAIN, {
        'waitlist': {'serves': {'tel': ['+1'], 'mailto': [DOMAIN]}},
        'partners': [{'jid': 'waitlist.partner.example', 'serves': {'tel': ['+33']}}],
        'limits': {'shutdown_grace': '2s'},
    }, name='admin', token=token)
