import { startEcho } from './echo.js';

/** `node dist/runtime/echo-main.js <service> <instance> <host> <port>`; the control token comes from EDGEGEN_CONTROL_TOKEN. */
const [service, instance, host, port] = process.argv.slice(2);
if (!service || !instance || !host || !port) {
  process.stderr.write('usage: echo-main <service> <instance> <host> <port>\n');
  process.exit(2);
}
const token = process.env.EDGEGEN_CONTROL_TOKEN ?? '';
if (token.length < 16) {
  process.stderr.write('EDGEGEN_CONTROL_TOKEN must be set (16+ characters)\n');
  process.exit(2);
}
startEcho({ service, instance: Number(instance), host, port: Number(port), controlToken: token }).then(
  () => process.stdout.write(`echo ${service}/${instance} listening on ${host}:${port}\n`),
  (e: Error) => {
    process.stderr.write(`echo ${service}/${instance}: ${e.message}\n`);
    process.exit(1);
  },
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
