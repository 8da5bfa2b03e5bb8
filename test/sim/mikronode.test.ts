// An independent Node client in the suite: mikronode-ng (its own codec and channel model, not
// node-routeros). It only knows the challenge login that RouterOS removed in 6.45.1, so the
// simulator emulates 6.44 here, as a router of that age answers. It relies on `.tag` coming
// right after the reply word: with the tag last it loses traps and the commands after them.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { SimulatedRouter, type SimulatedRouterOptions } from '../../src/sim/index.js';

interface TrapError {
  message: string;
  category: string;
}
interface Trap {
  errors: TrapError[];
}
interface Channel {
  closeOnDone: boolean;
  write(words: string[], cb?: (c: Channel) => void): void;
  on(event: 'done', f: (data: unknown) => void): void;
  on(event: 'trap' | 'read', f: (x: unknown) => void): void;
  close(force?: boolean): void;
}
interface Connection {
  getConnectPromise(): Promise<Connection>;
  getCommandPromise(words: string[]): Promise<Array<Record<string, string>>>;
  openChannel(id?: string): Channel;
  on(event: 'error' | 'trap' | 'close', f: (x: unknown) => void): void;
  close(force?: boolean): void;
}
interface MikroNode {
  getConnection(host: string, user: string, password: string, options: { port: number; timeout?: number }): Connection;
  parseItems(data: unknown): Array<Record<string, string>>;
}
const MikroNode = createRequire(import.meta.url)('mikronode-ng') as MikroNode;

/** A 6.44 router; its connections are closed (the client says /quit) before it stops. */
async function startRouter(t: TestContext, options: SimulatedRouterOptions) {
  const router = new SimulatedRouter({
    controlPort: false,
    timeScale: 0.01,
    routerosVersion: '6.44',
    password: 'pw',
    ...options,
  });
  await router.start();
  const open: Connection[] = [];
  t.after(async () => {
    for (const c of open) c.close(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await router.stop();
  });
  const connect = (password = 'pw'): Promise<Connection> => {
    const conn = MikroNode.getConnection('127.0.0.1', 'admin', password, { port: router.apiPort, timeout: 30 });
    conn.on('error', () => undefined);
    open.push(conn);
    return conn.getConnectPromise();
  };
  return { r: router, connect };
}

void test('mikronode-ng: challenge login (6.44), a wrong password is refused', async (t) => {
  const { connect } = await startRouter(t, {});
  await assert.rejects(connect('nope'));
  const conn = await connect();
  assert.deepEqual(await conn.getCommandPromise(['/system/identity/print']), [{ name: 'MikroTik' }]);
});

void test('mikronode-ng: traps land on their channel and the connection keeps working', async (t) => {
  const { r, connect } = await startRouter(t, { identity: 'old-router' });
  const conn = await connect();
  for (let i = 0; i < 3; i++) {
    const trap = (await conn.getCommandPromise(['/system/identity/set', '=name=']).then(
      () => assert.fail('expected a trap'),
      (e: unknown) => e,
    )) as Trap;
    assert.equal(trap.errors[0]?.message, 'value of name must not be empty');
    assert.equal(trap.errors[0]?.category, '1');
    const [row] = await conn.getCommandPromise(['/system/resource/getall', '=.proplist=version,board-name']);
    assert.deepEqual(row, { version: '6.44 (stable)', 'board-name': r.profile.boardName });
    assert.deepEqual(
      await conn.getCommandPromise(['/system/nothing/print']).catch((e: Trap) => e.errors[0]?.message),
      'no such command prefix',
    );
  }
  const rows = await conn.getCommandPromise(['/ip/arp/print', '?interface=bridge', '?address=192.168.88.11', '?#&']);
  assert.deepEqual(
    rows.map((x) => x.address),
    ['192.168.88.11'],
  );
});

void test('mikronode-ng: a streaming command on one channel, /cancel by closing it, others unaffected', async (t) => {
  // Real time: the client crashes on a row that arrives between its close and the /cancel.
  const { connect } = await startRouter(t, { model: 'CRS328-24P', timeScale: 1 });
  const conn = await connect();
  const monitor = conn.openChannel(); // numeric ids: it drops streamed rows of named channels
  const reads: unknown[] = [];
  monitor.write(['/interface/ethernet/poe/monitor', '=numbers=ether1'], (c) => c.on('read', (d) => reads.push(d)));
  while (reads.length < 1) await new Promise((resolve) => setTimeout(resolve, 20));
  monitor.close(); // sends /cancel =tag=<id>
  const [port] = await conn.getCommandPromise(['/interface/ethernet/poe/print', '?name=ether2']);
  assert.equal(port?.name, 'ether2');
});
