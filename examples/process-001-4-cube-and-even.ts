// 001-4: two processes with different targets over the same numbers, both joined.
import { Process, isMain } from 'multiprocessing-ts';

export function cube(myNumbers: number[]): void {
  for (const x of myNumbers) {
    console.log(`${x} cube is ${x ** 3}`);
  }
}

export function evenno(myNumbers: number[]): void {
  for (const x of myNumbers) {
    if (x % 2 === 0) {
      console.log(`${x} is an even number `);
    }
  }
}

if (isMain(import.meta)) {
  const myNumbers = [3, 4, 5, 6, 7, 8];
  // Differs: the original's targets read a global that only fork children see; here the list is passed as the argument.
  const myProcess1 = new Process({ target: cube, args: [myNumbers] });
  const myProcess2 = new Process({ target: evenno, args: [myNumbers] });
  myProcess1.start();
  myProcess2.start();
  await myProcess1.join();
  await myProcess2.join();
  console.log('Done');
}
