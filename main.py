from convlab.app import main

if __name__ == "__main__":  # a training process starts a fresh interpreter that imports this
    raise SystemExit(main())
