import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config';
import { Encrypter } from './encrypter';

@Global()
@Module({
  providers: [
    {
      provide: Encrypter,
      useFactory: (config: AppConfig) => new Encrypter(config.appKey, config.previousKeys),
      inject: [APP_CONFIG],
    },
  ],
  exports: [Encrypter],
})
export class CryptoModule {}
