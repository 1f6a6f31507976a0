export * from './app-config';
export * from './app-key';
export * from './load-config';
export * from './config.module';
