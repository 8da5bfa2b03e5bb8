"""Drives the simulator with Debian's python3-librouteros, as Home Assistant's MikroTik
integration does. One scenario per run; prints one JSON object; exits non-zero on failure.
Run with /usr/bin/python3 (the system Python that has python3-librouteros)."""
import json
import sys
import time

import librouteros
from librouteros.exceptions import ConnectionClosed, TrapError
from librouteros.query import And, Key, Or

port, user, password, scenario = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def connect(**kwargs):
    return librouteros.connect('127.0.0.1', user, password, port=port, timeout=30, **kwargs)


def home_assistant():
    # The commands homeassistant/components/mikrotik sends (hub.py), via api(cmd=...).
    api = connect(encoding='utf-8')
    out = {}
    for cmd in ('/system/identity/getall', '/system/routerboard/getall', '/system/resource/getall',
                '/interface/getall', '/ip/arp/getall', '/ip/dhcp-server/lease/getall', '/system/identity/print'):
        out[cmd] = list(api(cmd))
    try:
        list(api('/interface/wireless/print'))
        out['wireless'] = 'answered'
    except TrapError as error:
        out['wireless'] = str(error)
    return out


def queries():
    api = connect(encoding='utf-8')
    scheduler = api.path('system', 'scheduler')
    for name, interval in (('a', '10'), ('b', '2'), ('c', '30')):
        # ASCII only: librouteros 3.1 counts a word's length in characters, not bytes, so
        # it cannot send non-ASCII words to any router; reading them works (encoding='utf-8').
        scheduler.add(name=name, interval=interval, comment='plain ' + name)
    name, interval, comment = Key('name'), Key('interval'), Key('comment')
    pick = lambda q: sorted(r['name'] for r in scheduler.select(name, interval).where(q))
    return {
        'eq': pick(name == 'b'),
        'ne': pick(name != 'b'),
        'in': pick(name.In('a', 'c')),
        'lt': pick(interval < 10),
        'gt': pick(interval > 5),
        'or': pick(Or(name == 'a', name == 'b')),
        'and': pick(And(interval > 5, name != 'c')),
        'proplist': [sorted(r) for r in scheduler.select(name).where(name == 'a')],
        'comments': sorted(r['comment'] for r in scheduler),
        'identity': tuple(api.path('system', 'identity'))[0]['name'],
    }


def wrong_password():
    try:
        librouteros.connect('127.0.0.1', user, password + 'x', port=port, timeout=30)
        return {'login': 'accepted'}
    except TrapError as error:
        return {'login': str(error)}


def update(timeout):
    api = connect()
    before = tuple(api('/system/device-mode/print'))[0]
    print(json.dumps({'requesting': True}), flush=True)
    try:
        tuple(api('/system/device-mode/update', mode='advanced', **{'activation-timeout': timeout}))
        result = 'done'
    except TrapError as error:
        result = 'trap: ' + str(error)
    except ConnectionClosed:
        result = 'connection closed'
    # After a confirmation the router reboots: reconnect the way a user would, until it answers.
    deadline = time.time() + 60
    while True:
        try:
            again = connect()
            break
        except (OSError, ConnectionClosed):
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    after = tuple(again('/system/device-mode/print'))[0]
    return {'before': before, 'result': result, 'after': after}


SCENARIOS = {
    'home-assistant': home_assistant,
    'queries': queries,
    'wrong-password': wrong_password,
    'update-times-out': lambda: update('10s'),
    'update-confirmed': lambda: update('1h'),
}
print(json.dumps(SCENARIOS[scenario](), default=str), flush=True)
