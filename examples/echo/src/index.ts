export { startEcho, ECHO_MAX_PAYLOAD, type EchoOptions, type EchoHandle } from './echo-server';
