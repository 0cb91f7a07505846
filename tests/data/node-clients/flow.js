// What a Node.js program does with dockerode against one Docker API socket (argv[2]): each
// step's result goes into one JSON report on stdout, which tests/host/test_api_node_clients.py
// checks; a step that throws ends the run with its message on stderr and exit 1.
'use strict';
const { PassThrough } = require('stream');
const Docker = require('dockerode');
const tar = require('tar-stream');

const docker = new Docker({ socketPath: process.argv[2] });
const report = {};

// A multiplexed stream's payload (non-tty logs and exec output): stream type -> text.
function demux(buf) {
  const out = { 1: '', 2: '' };
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out[buf[i]] += buf.subarray(i + 8, i + 8 + size).toString();
    i += 8 + size;
  }
  return { stdout: out[1], stderr: out[2] };
}

function collect(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

async function status(promise) {
  try {
    await promise;
    return 0;
  } catch (err) {
    return err.statusCode || String(err);
  }
}

async function main() {
  report.ping = String(await docker.ping());
  report.apiVersion = (await docker.version()).ApiVersion;
  report.images = (await docker.listImages()).flatMap((i) => i.RepoTags || []);

  // The events of what follows, streamed from before it happens.
  const events = await docker.getEvents({ filters: { type: ['container'], label: ['dn=1'] } });
  const seen = [];
  events.on('data', (d) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      const ev = JSON.parse(line);
      seen.push(`${ev.Action} ${ev.Actor.Attributes.name}`);
    }
  });

  // create, start, wait, logs, inspect, remove: a container that writes and fails.
  const one = await docker.createContainer({
    Image: 'busybox', name: 'dn-one', Labels: { dn: '1' },
    Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
  });
  await one.start();
  report.wait = await one.wait();
  report.logs = demux(await one.logs({ stdout: true, stderr: true }));
  const info = await one.inspect();
  report.inspect = { name: info.Name, exitCode: info.State.ExitCode, status: info.State.Status,
                     label: info.Config.Labels.dn };
  report.list = (await docker.listContainers({ all: true, filters: { label: ['dn=1'] } }))
    .map((c) => `${c.Names[0]} ${c.State}`);
  await one.remove();
  report.removedStatus = await status(one.inspect());

  // docker.run: attach (the HTTP hijack) before start, then wait; on a tty here.
  const out = new PassThrough();
  const gathered = collect(out);
  const [result, ran] = await docker.run('busybox', ['sh', '-c', 'echo ran on $(tty)'], out,
                                         { name: 'dn-run', Labels: { dn: '1' } });
  report.run = { statusCode: result.StatusCode, output: (await gathered).toString() };
  await ran.remove();

  // A running container: exec, archive in and out, stats, stop, remove.
  const long = await docker.createContainer({
    Image: 'busybox', name: 'dn-long', Labels: { dn: '1' }, Cmd: ['sh', '-c', 'echo up; exec sleep 300'],
    StopSignal: 'SIGKILL',
  });
  await long.start();
  // A follow of its (quiet) log, left in the middle: the service must not keep it going.
  const follow = await long.logs({ follow: true, stdout: true, stderr: true });
  report.followFirst = demux(await new Promise((resolve) => follow.once('data', resolve)));
  follow.destroy();
  const exec = await long.exec({ Cmd: ['sh', '-c', 'echo ex; echo ex2 >&2; exit 4'],
                                 AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  report.exec = demux(await collect(stream));
  report.execExit = (await exec.inspect()).ExitCode;

  const pack = tar.pack();
  pack.entry({ name: 'hello.txt', mode: 0o644 }, 'from dockerode\n');
  pack.finalize();
  await long.putArchive(await collect(pack), { path: '/tmp' });
  const extract = tar.extract();
  const files = {};
  extract.on('entry', (header, body, next) => {
    collect(body).then((b) => { files[header.name] = b.toString(); next(); });
  });
  const done = new Promise((resolve) => extract.on('finish', resolve));
  (await long.getArchive({ path: '/tmp/hello.txt' })).pipe(extract);
  await done;
  report.archive = files;

  const stats = await long.stats({ stream: false });
  report.statsMemory = stats.memory_stats.usage > 0;
  report.top = (await long.top()).Titles;
  await long.stop({ t: 1 });
  report.stoppedStatus = (await long.inspect()).State.Status;
  report.stopAgain = await status(long.stop());
  await long.remove({ force: true });

  // Networks and volumes.
  const net = await docker.createNetwork({ Name: 'dn-net' });
  report.network = (await net.inspect()).Name;
  await net.remove();
  const vol = await docker.createVolume({ Name: 'dn-vol' });
  report.volume = (await docker.getVolume('dn-vol').inspect()).Name;
  await docker.getVolume(vol.name).remove();

  // Errors are Docker's: status codes and messages.
  report.missing = await status(docker.getContainer('dn-nosuch').inspect());
  report.badImage = await status(docker.createContainer({ Image: 'dn-nosuch-image' }));

  await new Promise((r) => setTimeout(r, 300)); // the last events' lines
  events.destroy();
  report.events = seen;
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
