import { afterEach, describe, expect, it } from 'vitest';
import { createPrng, predictChoices, startStubBackend, stubRequest, type Behaviour, type StubBackend } from './index.ts';

const open: StubBackend[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const faults: Behaviour = {
  kind: 'random',
  seed: 42,
  choices: [
    { kind: 'echo' },
    { kind: 'status', status: 503 },
    { kind: 'status', status: 404 },
    { kind: 'reset-mid-body', bytesBeforeReset: 10 },
  ],
};

/** Sends `n` requests one after another; returns what each got (status, or 'broken'). */
async function run(stub: StubBackend, n: number): Promise<(number | string)[]> {
  const out: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const o = await stubRequest(stub.url, { path: `/r/${i}` });
    out.push(o.kind === 'response' ? o.status : o.kind);
  }
  return out;
}

const expected = (b: Behaviour): number | string =>
  b.kind === 'echo' ? 200 : b.kind === 'status' ? b.status : b.kind === 'reset-mid-body' ? 'broken-body' : b.kind;

describe('random', () => {
  it('the PRNG is deterministic per seed', () => {
    const a = createPrng(7);
    const b = createPrng(7);
    const c = createPrng(8);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('is reproducible for a seed, records its choices, and matches predictChoices', async () => {
    const n = 24;
    const one = await startStubBackend({ id: 'origin', behaviour: faults });
    const two = await startStubBackend({ id: 'origin', behaviour: faults });
    open.push(one, two);
    const got1 = await run(one, n);
    const got2 = await run(two, n);
    expect(got2).toEqual(got1);

    const predicted = predictChoices(faults, n);
    expect(one.requests.map((r) => r.choice)).toEqual(predicted.map((p) => p.choice));
    expect(one.requests.map((r) => r.chosen)).toEqual(predicted.map((p) => p.chosen));
    expect(got1).toEqual(one.requests.map((r) => expected(r.chosen)));
    expect(new Set(got1).size).toBeGreaterThan(2); // it really varies

    // Setting the behaviour again restarts the sequence.
    one.resetRecording();
    await one.setBehaviour(faults);
    expect(await run(one, n)).toEqual(got1);
  });

  it('honours weights and resolves nested random inside delay', async () => {
    const weighted: Behaviour = {
      kind: 'random',
      seed: 1,
      choices: [{ kind: 'status', status: 500 }, { kind: 'echo' }],
      weights: [0, 1],
    };
    expect(predictChoices(weighted, 50).every((p) => p.choice === 1)).toBe(true);

    const nested: Behaviour = { kind: 'delay', ms: 1, then: { kind: 'random', seed: 3, choices: [{ kind: 'status', status: 502 }, { kind: 'echo' }] } };
    const stub = await startStubBackend({ id: 'origin', behaviour: nested });
    open.push(stub);
    const got = await run(stub, 10);
    const predicted = predictChoices(nested, 10);
    expect(stub.requests.map((r) => r.chosen)).toEqual(predicted.map((p) => p.chosen));
    expect(got).toEqual(predicted.map((p) => (p.chosen.kind === 'delay' ? expected(p.chosen.then) : 'unexpected')));
  });

  it('rejects bad random behaviours', async () => {
    const stub = await startStubBackend({ id: 'origin' });
    open.push(stub);
    await expect(stub.setBehaviour({ kind: 'random', seed: 1, choices: [] })).rejects.toThrow(/non-empty/);
    await expect(stub.setBehaviour({ kind: 'random', seed: 1.5, choices: [{ kind: 'echo' }] })).rejects.toThrow(/seed/);
    await expect(stub.setBehaviour({ kind: 'random', seed: 1, choices: [{ kind: 'refuse' }] })).rejects.toThrow(/refuse/);
    await expect(
      stub.setBehaviour({ kind: 'random', seed: 1, choices: [{ kind: 'echo' }], weights: [1, 2] }),
    ).rejects.toThrow(/weights/);
  });
});
