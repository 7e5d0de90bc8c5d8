# Entry points. The two README commands are `make run` and `make test`; both install what
# is missing first. Everything else is for developers.
.PHONY: run test build stop status clean

run:            ## install, build, start the local stack (PostgreSQL on 54322, API on 54321)
	scripts/run.sh

test:           ## install, build, run every test suite in throwaway clusters
	scripts/test.sh

build:          ## build the binary and install the vector extension
	scripts/build.sh build

stop:           ## stop the local PostgreSQL cluster
	./build/studybase stop

status:
	./build/studybase status

clean:
	rm -rf build build-test
	[ ! -f ext/vector/Makefile ] || $(MAKE) -C ext/vector clean
