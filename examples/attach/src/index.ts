export { startAttach, type AttachOptions, type AttachHandle } from './attach-server';
export { presentedToken, tokenChecker } from './auth';
